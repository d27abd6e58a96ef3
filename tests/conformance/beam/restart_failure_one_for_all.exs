# restart_failure_one_for_all: one_for_all 2/5 over c1, c2, c3; c2's init
# succeeds the first time and returns {stop,bad} on every later attempt.
# Kill c2 -> restart fails -> each retry counts -> the supervisor gives up.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_all, max_restarts: 2, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2, init: {:fail_from, 2, :bad}), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c2, :kill)
# exit c2 killed, exit c3 shutdown, exit c1 shutdown,   (restart 1)
# start c1, [c2 fails],                                  -> c2 restarting
# exit c1 shutdown, start c1, [c2 fails]                 (retry = restart 2)
# exit c1 shutdown                                       (retry = restart 3 > 2: give up)
Conf.await(7)
Conf.log("c2_init_attempts", Conf.attempts(:c2))
Conf.log("c3_init_attempts", Conf.attempts(:c3))
Conf.finish()
