# shutdown_infinity: c1 and c2 trap exits, have shutdown :infinity and spend
# 100 ms in terminate; c3 is plain. terminate_child c1 waits for it (exit
# shutdown); restart_child c1 (it is restarted last but keeps its place);
# Supervisor.stop stops c3, c2, c1 - spec order reversed, one at a time.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [
      W.spec(:c1, shutdown: :infinity, trap: true, terminate: {:sleep, 100}),
      W.spec(:c2, shutdown: :infinity, trap: true, terminate: {:sleep, 100}),
      W.spec(:c3)
    ]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

t0 = System.monotonic_time(:millisecond)
r = Supervisor.terminate_child(sup, :c1)
t1 = System.monotonic_time(:millisecond)
Conf.await(1)
Conf.log("terminate_child_c1", r)
Conf.log("c1_took_at_least_100ms", t1 - t0 >= 100)

r = Supervisor.restart_child(sup, :c1)
Conf.await(1)
Conf.log("restart_child_c1", r)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))

r = Supervisor.stop(sup)
Conf.await(3)
Conf.log("stop", r)
Conf.finish()
