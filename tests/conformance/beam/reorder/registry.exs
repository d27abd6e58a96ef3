# registry_sync_lookup / registry_reregister: a holder registered under key
# :k of a unique Registry is killed; the driver, told of the death, makes a
# synchronous request to the partition (:sys.get_state, the usual "sync
# with the partition" idiom), then either looks :k up or has a new process
# N look it up and register it. Erlang allows the request to reach the
# partition before the holder's EXIT (different senders): the partition
# answers before it has removed the dead holder's row, so lookup still
# returns it and N sees it (N's register succeeds anyway: Registry checks
# the holder is alive). Methods as in supervisor_restart_child.exs:
# monitor (the driver's DOWN comes after every exit signal of the holder),
# link, and link_crowd (5000 idle processes spawned between the driver and
# the partition are linked to the holder too).
Code.require_file("probe.exs", __DIR__)
trials = 200
crowd = 5000
Process.flag(:trap_exit, true)

defmodule RegistryProbe do
  def holder(reg, parent) do
    {:ok, _} = Registry.register(reg, :k, :v)
    send(parent, :registered)

    receive do
      {:link_all, pids} ->
        Enum.each(pids, &Process.link/1)
        send(parent, :linked)
        receive do
          :never -> :ok
        end
    end
  end

  def newcomer(reg, parent) do
    saw = Registry.lookup(reg, :k)
    {:ok, _} = Registry.register(reg, :k, :v2)
    send(parent, {:saw, saw})

    receive do
      :never -> :ok
    end
  end

  def trial(how, reregister, n) do
    members = if how == :link_crowd, do: Probe.idle(5000), else: []
    reg = :"ProbeReg#{n}"
    {:ok, regsup} = Registry.start_link(keys: :unique, name: reg)
    [{_, partition, _, _}] = Supervisor.which_children(regsup)
    parent = self()
    h = spawn(fn -> holder(reg, parent) end)
    receive do
      :registered -> :ok
    end

    send(h, {:link_all, members})
    receive do
      :linked -> :ok
    end

    if how == :monitor do
      ref = Process.monitor(h)
      Process.exit(h, :kill)
      receive do
        {:DOWN, ^ref, _, _, _} -> :ok
      end
    else
      Process.link(h)
      Process.exit(h, :kill)
      receive do
        {:EXIT, ^h, _} -> :ok
      end
    end

    _ = :sys.get_state(partition)

    result =
      if reregister do
        spawn_link(fn -> newcomer(reg, parent) end)
        receive do
          {:saw, []} -> :causal
          {:saw, [{^h, :v}]} -> :reordered
          {:saw, other} -> {:saw, other}
        end
      else
        case Registry.lookup(reg, :k) do
          [] -> :causal
          [{^h, :v}] -> :reordered
          other -> other
        end
      end

    Supervisor.stop(regsup)
    Probe.stop_all(members)
    Probe.flush()
    result
  end
end

counter = :counters.new(1, [])
next = fn -> :counters.add(counter, 1, 1); :counters.get(counter, 1) end

for {scenario, reregister} <- [{"registry_sync_lookup", false}, {"registry_reregister", true}] do
  Probe.header(scenario)
  Probe.run(scenario, "monitor", trials * 10, fn -> RegistryProbe.trial(:monitor, reregister, next.()) end)
  Probe.run(scenario, "link", trials * 10, fn -> RegistryProbe.trial(:link, reregister, next.()) end)
  Probe.run(scenario, "link_crowd", trials, fn -> RegistryProbe.trial(:link_crowd, reregister, next.()) end)
end
