# shutdown_timeout: two trapping workers with shutdown 200. c1's terminate
# returns at once -> exit shutdown; c2's terminate blocks forever -> after
# 200 ms the supervisor kills it -> exit killed.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [
      W.spec(:c1, shutdown: 200, trap: true),
      W.spec(:c2, shutdown: 200, trap: true, terminate: :hang)
    ]
  )

Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

t0 = System.monotonic_time(:millisecond)
r = Supervisor.terminate_child(sup, :c1)
t1 = System.monotonic_time(:millisecond)
Conf.await(1)
Conf.log("terminate_child_c1", r)
Conf.log("c1_took_less_than_200ms", t1 - t0 < 200)

t0 = System.monotonic_time(:millisecond)
r = Supervisor.terminate_child(sup, :c2)
t1 = System.monotonic_time(:millisecond)
Conf.await(1)
Conf.log("terminate_child_c2", r)
Conf.log("c2_took_at_least_200ms", t1 - t0 >= 200)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.finish()
