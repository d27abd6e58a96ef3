# supervisor_restart_child: a transient child stops itself `normal`; the
# driver, told of the death, calls Supervisor.restart_child at once. Erlang
# allows the call to reach the supervisor before the child's EXIT does
# (different senders): the child still counts as running and the call
# returns {error,running}. On one node the EXIT is sent from the child's
# exit processing, links in pid order and monitors after all links:
#
#   monitor: the driver learns of the death from a DOWN, which comes after
#     every exit signal, the supervisor's included;
#   link: the driver is linked to the child (and traps exits) and learns of
#     it from its EXIT;
#   link_crowd: as link, and 5000 idle processes spawned between the driver
#     and the supervisor are linked to the child too, so that the child's
#     exit processing can yield between the driver's EXIT and the
#     supervisor's.
Code.require_file("probe.exs", __DIR__)
Probe.header("supervisor_restart_child")
trials = 200
crowd = 5000
Process.flag(:trap_exit, true)

defmodule Quitter do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, nil)
  @impl true
  def init(nil), do: {:ok, nil}
  @impl true
  def handle_call({:link_all, pids}, _from, s) do
    Enum.each(pids, &Process.link/1)
    {:reply, :ok, s}
  end
  @impl true
  def handle_cast({:stop, reason}, s), do: {:stop, reason, s}
end

trial = fn how ->
  members = if how == :link_crowd, do: Probe.idle(crowd), else: []
  spec = %{id: :c, start: {Quitter, :start_link, [nil]}, restart: :transient}
  {:ok, sup} = Supervisor.start_link([spec], strategy: :one_for_one)
  [{:c, c, _, _}] = Supervisor.which_children(sup)
  :ok = GenServer.call(c, {:link_all, members})

  if how == :monitor do
    ref = Process.monitor(c)
    GenServer.cast(c, {:stop, :normal})
    receive do
      {:DOWN, ^ref, _, _, _} -> :ok
    end
  else
    Process.link(c)
    GenServer.cast(c, {:stop, :normal})
    receive do
      {:EXIT, ^c, _} -> :ok
    end
  end

  result =
    case Supervisor.restart_child(sup, :c) do
      {:ok, _} -> :causal
      {:error, :running} -> :reordered
      other -> other
    end

  Supervisor.stop(sup)
  Probe.stop_all(members)
  Probe.flush()
  result
end

Probe.run("supervisor_restart_child", "monitor", trials * 10, fn -> trial.(:monitor) end)
Probe.run("supervisor_restart_child", "link", trials * 10, fn -> trial.(:link) end)
Probe.run("supervisor_restart_child", "link_crowd", trials, fn -> trial.(:link_crowd) end)
