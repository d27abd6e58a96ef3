# sup_stop_order: rest_for_one with 5 workers. Kill c3 (c5, c4 stopped, then
# c3, c4, c5 restarted); then Supervisor.stop -> c5, c4, c3, c2, c1 exit
# shutdown, in that order; the supervisor exits normal.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :rest_for_one, max_restarts: 3, max_seconds: 5,
    children: Enum.map([:c1, :c2, :c3, :c4, :c5], &W.spec/1)
  )

Conf.await(5)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c3, :kill)
Conf.await(6)

r = Supervisor.stop(sup)
Conf.await(5)
Conf.log("stop", r)
Conf.finish()
