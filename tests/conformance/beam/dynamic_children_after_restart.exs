# dynamic_children_after_restart: top rest_for_one over [c1 worker, dyn
# DynamicSupervisor]; start d1, d2 under dyn; kill c1 -> dyn (and d1, d2) are
# terminated, c1 and dyn restarted, and dyn comes back empty.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

dyn = Conf.DynSup.spec(:dyn, max_restarts: 3, max_seconds: 5)

res =
  Conf.Sup.start_link(
    strategy: :rest_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), dyn]
  )

# start c1, start dyn
Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

r = DynamicSupervisor.start_child(Conf.pid(:dyn), W.spec(:d1))
Conf.await(1)
Conf.log("start_child_d1", r)
r = DynamicSupervisor.start_child(Conf.pid(:dyn), W.spec(:d2))
Conf.await(1)
Conf.log("start_child_d2", r)
Conf.log("dyn_count_children", Conf.counts(DynamicSupervisor.count_children(Conf.pid(:dyn))))
Conf.log("dyn_which_children", Conf.which(DynamicSupervisor.which_children(Conf.pid(:dyn))))

Conf.kill(:c1, :kill)
# exit c1 killed
Conf.await(1)
# exit d1 shutdown, exit d2 shutdown: a DynamicSupervisor stops its children
# concurrently, so their order is not defined -> sorted
Conf.await_sorted(2)
# exit dyn shutdown, start c1, start dyn
Conf.await(3)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("dyn_count_children", Conf.counts(DynamicSupervisor.count_children(Conf.pid(:dyn))))
Conf.log("dyn_which_children", Conf.which(DynamicSupervisor.which_children(Conf.pid(:dyn))))
Conf.finish()
