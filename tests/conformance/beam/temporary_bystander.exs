# temporary_bystander: one_for_all with permanent c1 and temporary c2; kill c1
# -> c2 terminated (shutdown) and not restarted; which_children shows only c1.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_all, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1, restart: :permanent), W.spec(:c2, restart: :temporary)]
  )

Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
# exit c1 killed, exit c2 shutdown, start c1
Conf.await(3)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
Conf.finish()
