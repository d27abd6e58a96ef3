# init_failure: Supervisor.start_link over c1, c2, c3 where c2's init returns
# {stop,bad}: c1 is stopped again, c3 never started, start_link returns
# {error,{shutdown,{failed_to_start_child,c2,bad}}}.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2, init: {:stop, :bad}), W.spec(:c3)]
  )

# start c1, exit c1 shutdown
Conf.await(2)
Conf.log("start_link", res)
Conf.log("c2_init_attempts", Conf.attempts(:c2))
Conf.log("c3_init_attempts", Conf.attempts(:c3))

# the same with an init that returns ignore: not an error, c2 kept as undefined
res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c4), W.spec(:c5, init: :ignore), W.spec(:c6)]
  )

Conf.await(2)
Conf.log("start_link_with_ignore", res)
{:ok, sup} = res
Conf.track(:top, sup)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
Conf.finish()
