# rest_for_one: 4 workers; kill c2 -> c4 then c3 terminated (shutdown), then c2, c3, c4 start in order.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :rest_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2), W.spec(:c3), W.spec(:c4)]
  )

Conf.await(4)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)
c1 = Conf.pid(:c1)

Conf.kill(:c2, :kill)
Conf.await(6)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("c1_same_pid", Conf.pid(:c1) == c1)
Conf.finish()
