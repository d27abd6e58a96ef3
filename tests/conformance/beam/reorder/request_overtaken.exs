# link_request_overtaken / monitor_request_overtaken: W links to (or
# monitors) X, then tells K to kill X. Erlang allows the kill (K -> X) to
# reach X before W's link / monitor request (W -> X), which then finds no
# process: W gets an EXIT / DOWN with reason noproc instead of killed. On
# one node the request is in X's signal queue before W even sends to K.
Code.require_file("probe.exs", __DIR__)
trials = 2000

trial = fn mode, opts ->
  parent = self()
  x = :erlang.spawn_opt(fn ->
        if opts[:busy_x], do: Probe.spin(1_000_000)
        receive do
          :never -> :ok
        end
      end, Keyword.get(opts, :x, []))
  k = :erlang.spawn_opt(fn ->
        receive do
          {:kill, pid} -> Process.exit(pid, :kill)
        end
      end, Keyword.get(opts, :k, []))

  spawn(fn ->
    if mode == :link do
      Process.flag(:trap_exit, true)
      Process.link(x)
    else
      Process.monitor(x)
    end

    send(k, {:kill, x})

    reason =
      receive do
        {:EXIT, ^x, r} -> r
        {:DOWN, _, :process, ^x, r} -> r
      end

    send(parent, {:reason, reason})
  end)

  receive do
    {:reason, :killed} -> :causal
    {:reason, :noproc} -> :reordered
    {:reason, other} -> other
  after
    5_000 -> :timeout
  end
end

for {scenario, mode} <- [{"link_request_overtaken", :link}, {"monitor_request_overtaken", :monitor}] do
  Probe.header(scenario)
  Probe.run(scenario, "plain", trials, fn -> trial.(mode, []) end)
  Probe.run(scenario, "busy_target", div(trials, 10), fn -> trial.(mode, busy_x: true) end)
  Probe.run(scenario, "killer_high_target_low_priority", trials, fn -> trial.(mode, k: [priority: :high], x: [priority: :low]) end)
  Probe.run(scenario, "off_heap_target", trials, fn -> trial.(mode, x: [message_queue_data: :off_heap]) end)
end
