# one_for_one: 3 permanent workers; kill c2 with :kill; only c2 restarts.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)
c1 = Conf.pid(:c1)
c3 = Conf.pid(:c3)

Conf.kill(:c2, :kill)
Conf.await(2)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
Conf.log("c1_same_pid", Conf.pid(:c1) == c1)
Conf.log("c3_same_pid", Conf.pid(:c3) == c3)
Conf.finish()
