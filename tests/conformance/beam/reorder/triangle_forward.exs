# triangle_forward: A sends m1 to C, then m2 to B; B forwards m2 to C. Erlang
# allows C to get the forward first (different senders); on one node m1 is
# in C's queue before m2 is even sent, so C always gets m1 first.
Code.require_file("probe.exs", __DIR__)
Probe.header("triangle_forward")
trials = 2000

# One trial: C reports the order it received the two messages in.
trial = fn opts ->
  parent = self()
  c_opts = Keyword.get(opts, :c, [])
  b_opts = Keyword.get(opts, :b, [])
  a_opts = Keyword.get(opts, :a, [])
  big = Keyword.get(opts, :big, nil)

  c = :erlang.spawn_opt(fn ->
        if opts[:busy_c], do: Probe.spin(20_000)
        first = receive do m -> m end
        second = receive do m -> m end
        send(parent, {:order, elem(first, 0), elem(second, 0)})
      end, c_opts)

  b = :erlang.spawn_opt(fn ->
        receive do
          {:m2, payload} ->
            if opts[:busy_b], do: Probe.spin(1_000)
            send(c, {:m2, payload})
        end
      end, b_opts)

  :erlang.spawn_opt(fn ->
    send(c, {:m1, big})
    if opts[:yield], do: :erlang.yield()
    send(b, {:m2, nil})
  end, a_opts)

  receive do
    {:order, :m1, :m2} -> :causal
    {:order, :m2, :m1} -> :reordered
  after
    5_000 -> :timeout
  end
end

Probe.run("triangle_forward", "plain", trials, fn -> trial.([]) end)
Probe.run("triangle_forward", "busy_receiver", trials, fn -> trial.(busy_c: true) end)
Probe.run("triangle_forward", "large_m1", div(trials, 10), fn -> trial.(big: Enum.to_list(1..200_000)) end)
Probe.run("triangle_forward", "yield_between_sends", trials, fn -> trial.(yield: true) end)
Probe.run("triangle_forward", "a_low_b_high_priority", trials, fn ->
  trial.(a: [priority: :low], b: [priority: :high], yield: true)
end)
Probe.run("triangle_forward", "off_heap_receiver", trials, fn ->
  trial.(c: [message_queue_data: :off_heap], busy_c: true)
end)
