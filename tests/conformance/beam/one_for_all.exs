# one_for_all: 3 workers; kill c1 -> c3, c2 terminated in reverse order, then all start in order.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_all, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
Conf.await(6)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
Conf.finish()
