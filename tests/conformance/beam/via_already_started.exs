# via_already_started: a Registry (keys :unique) and two GenServer.start_link
# with the same {:via, Registry, {ViaReg, :k}} name.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

via = {:via, Registry, {ViaReg, :k}}
res = Registry.start_link(keys: :unique, name: ViaReg, partitions: 1)
Conf.log("registry_start_link", res)
{:ok, reg} = res
Conf.track(:registry, reg)

r = W.start_link(id: :v1, name: via)
Conf.await(1)
Conf.log("start_link_v1", r)
v1 = Conf.pid(:v1)

# The second start_link runs in a non-trapping helper process linked to
# nothing but what start_link links it to, so a stray exit would kill it.
driver = self()

{helper, href} =
  spawn_monitor(fn ->
    send(driver, {:second, W.start_link(id: :v2, name: via)})
    receive do: (:done -> :ok)
  end)

r = receive do: ({:second, r} -> r)
Conf.log("start_link_v2", r)
Conf.log("already_started_pid_is_v1", r == {:error, {:already_started, v1}})
Conf.log("v2_init_attempts", Conf.attempts(:v2))
Conf.log("caller_alive", Process.alive?(helper))
Conf.log("lookup_count", length(Registry.lookup(ViaReg, :k)))
Conf.log("whereis_is_v1", GenServer.whereis(via) == v1)

# The holder dies: whereis filters dead pids; the name can be taken again.
Conf.kill(:v1, :kill)
Conf.await(1)
Conf.log("whereis_name_after_kill", Registry.whereis_name({ViaReg, :k}))
r = W.start_link(id: :v3, name: via)
Conf.await(1)
Conf.log("start_link_v3", r)
Conf.log("lookup_count", length(Registry.lookup(ViaReg, :k)))
Conf.log("lookup_is_v3", Registry.lookup(ViaReg, :k) |> Enum.map(&elem(&1, 0)) == [Conf.pid(:v3)])

send(helper, :done)
r = receive do: ({:DOWN, ^href, :process, _, reason} -> reason)
Conf.log("caller_exit", r)
Conf.finish()
