# two_linked_trappers / two_monitors: X, linked to (or monitored by) W1 and
# W2, dies; W2 handles its EXIT / DOWN by sending W1 a note. Erlang allows
# W1 to get W2's note before its own EXIT / DOWN (different senders). On
# one node a dying process sends its exit signals (links first, then
# monitors) from its own exit processing, which may yield between two of
# them when there are many: W2, signalled early, can run on another
# scheduler and get its note to W1 before X has reached W1.
#
# Methods: plain (no other links or monitors); w2_first / w1_first: 5000
# idle processes also linked to (monitoring) X, W2 (or W1) spawned and
# linked (monitoring) before them and the other watcher after them, so it
# comes early or late in X's links (a tree ordered by pid) and monitors.
Code.require_file("probe.exs", __DIR__)
trials = 200
crowd = 5000

defmodule Watchers do
  # A watcher: links to (or monitors) X when told, acks, then:
  #   :notify -> on its EXIT/DOWN, sends :note to W1
  #   :record -> reports to the parent which of EXIT/DOWN and :note came first
  def watcher(parent, mode, role) do
    if mode == :link, do: Process.flag(:trap_exit, true)

    receive do
      {:watch, x, w1} ->
        if mode == :link, do: Process.link(x), else: Process.monitor(x)
        send(parent, :watching)

        case role do
          :notify ->
            receive do
              {:EXIT, ^x, _} -> send(w1, :note)
              {:DOWN, _, :process, ^x, _} -> send(w1, :note)
            end

          :record ->
            first = receive do m -> m end
            second = receive do m -> m end
            send(parent, {:order, kind(first), kind(second)})
        end
    end
  end

  defp kind({:EXIT, _, _}), do: :signal
  defp kind({:DOWN, _, _, _, _}), do: :signal
  defp kind(:note), do: :note
  defp kind(other), do: other

  def crowd_member(parent, mode) do
    if mode == :link, do: Process.flag(:trap_exit, true)

    receive do
      {:watch, x, _} ->
        if mode == :link, do: Process.link(x), else: Process.monitor(x)
        send(parent, :watching)
        receive do
          _ -> :ok
        end
    end
  end

  def x do
    receive do
      :die -> exit(:boom)
    end
  end

  def watch(pid, x, w1) do
    send(pid, {:watch, x, w1})
    receive do
      :watching -> :ok
    end
  end

  def trial(mode, order, crowd) do
    parent = self()
    spawn_w = fn role -> spawn(fn -> watcher(parent, mode, role) end) end

    {w1, w2, members} =
      case order do
        :plain ->
          w1 = spawn_w.(:record)
          w2 = spawn_w.(:notify)
          {w1, w2, []}

        :w2_first ->
          w2 = spawn_w.(:notify)
          members = for _ <- 1..crowd, do: spawn(fn -> crowd_member(parent, mode) end)
          w1 = spawn_w.(:record)
          {w1, w2, members}

        :w1_first ->
          w1 = spawn_w.(:record)
          members = for _ <- 1..crowd, do: spawn(fn -> crowd_member(parent, mode) end)
          w2 = spawn_w.(:notify)
          {w1, w2, members}
      end

    x = spawn(&x/0)
    first = if order == :w1_first, do: w1, else: w2
    last = if first == w1, do: w2, else: w1
    watch(first, x, w1)
    Enum.each(members, &watch(&1, x, w1))
    watch(last, x, w1)
    send(x, :die)

    result =
      receive do
        {:order, :signal, :note} -> :causal
        {:order, :note, :signal} -> :reordered
      after
        5_000 -> :timeout
      end

    Probe.stop_all(members)
    result
  end
end

for {scenario, mode} <- [{"two_linked_trappers", :link}, {"two_monitors", :monitor}] do
  Probe.header(scenario)
  Probe.run(scenario, "plain", trials * 10, fn -> Watchers.trial(mode, :plain, 0) end)
  Probe.run(scenario, "w2_first", trials, fn -> Watchers.trial(mode, :w2_first, crowd) end)
  Probe.run(scenario, "w1_first", trials, fn -> Watchers.trial(mode, :w1_first, crowd) end)
end
