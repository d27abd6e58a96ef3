# registry_crash: a Registry (keys :unique, 1 partition) with two non-trapping
# registrants r1, r2 and a trapping one r3 (all registered via :via names,
# started by the driver); the partition process is killed with :kill.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

via = fn key -> {:via, Registry, {CrashReg, key}} end
res = Registry.start_link(keys: :unique, name: CrashReg, partitions: 1)
Conf.log("registry_start_link", res)
{:ok, reg} = res
Conf.track(:registry, reg)

r = W.start_link(id: :r1, name: via.(:r1))
Conf.await(1)
Conf.log("start_link_r1", r)
r = W.start_link(id: :r2, name: via.(:r2))
Conf.await(1)
Conf.log("start_link_r2", r)
r = W.start_link(id: :r3, name: via.(:r3), trap: true)
Conf.await(1)
Conf.log("start_link_r3", r)

[{_, partition, :worker, _}] = Supervisor.which_children(CrashReg)
pref = Process.monitor(partition)
Process.exit(partition, :kill)
r = receive do: ({:DOWN, ^pref, :process, _, reason} -> reason)
# exit r1 killed, exit r2 killed: both get the partition's exit signal at
# the same time -> sorted
Conf.await_sorted(2)
Conf.log("partition_exit", r)

r3 = Conf.pid(:r3)
Conf.wait_until(fn -> GenServer.call(r3, :received) != [] end)
Conf.log("r3_received", GenServer.call(r3, :received))
Conf.log("r3_alive", Process.alive?(r3))

# the Registry supervisor restarts the partition (fresh, empty tables)
Conf.wait_until(fn ->
  case Supervisor.which_children(CrashReg) do
    [{_, p, _, _}] when is_pid(p) and p != partition -> true
    _ -> false
  end
end)

Conf.log("registry_children", Conf.which(Supervisor.which_children(CrashReg)) |> length())
Conf.log("lookup_r1_count", length(Registry.lookup(CrashReg, :r1)))
Conf.log("lookup_r3_count", length(Registry.lookup(CrashReg, :r3)))
Conf.log("whereis_r3", GenServer.whereis(via.(:r3)))
r = W.start_link(id: :r1, name: via.(:r1))
Conf.await(1)
Conf.log("start_link_r1_again", r)
Conf.log("lookup_r1_count", length(Registry.lookup(CrashReg, :r1)))
Conf.finish()
