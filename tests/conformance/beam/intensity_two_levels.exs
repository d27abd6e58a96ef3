# intensity_two_levels: top one_for_one (1/5) over inner supervisor (permanent,
# one_for_one 0/5) over worker c1. Kill c1 twice: inner exits shutdown each time;
# the second inner exit exceeds the top's intensity -> top exits shutdown.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

inner = Conf.Sup.spec(:inner, strategy: :one_for_one, max_restarts: 0, max_seconds: 5, children: [W.spec(:c1)])

res =
  Conf.Sup.start_link(strategy: :one_for_one, max_restarts: 1, max_seconds: 5, children: [inner])

# start inner, start c1
Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
# exit c1 killed, exit inner shutdown, start inner, start c1
Conf.await(4)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("inner_which_children", Conf.which(Supervisor.which_children(Conf.pid(:inner))))

Conf.kill(:c1, :kill)
# exit c1 killed, exit inner shutdown; top gives up
Conf.await(2)
Conf.finish()
