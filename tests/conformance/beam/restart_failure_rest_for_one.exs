# restart_failure_rest_for_one: rest_for_one 2/5 over c1, c2, c3; c2's init
# returns {stop,bad} from its second attempt on. Kill c2 -> c3 stopped, c2's
# restart fails, the retries count, c1 is untouched until the supervisor gives up.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :rest_for_one, max_restarts: 2, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2, init: {:fail_from, 2, :bad}), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c2, :kill)
# exit c2 killed, exit c3 shutdown, [c2 fails] x3, exit c1 shutdown
Conf.await(3)
Conf.log("c2_init_attempts", Conf.attempts(:c2))
Conf.log("c3_init_attempts", Conf.attempts(:c3))
Conf.finish()
