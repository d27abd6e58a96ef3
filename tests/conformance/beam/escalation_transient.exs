# escalation_transient: like intensity_two_levels, but the inner supervisor
# is a transient child. Its intensity exit (shutdown) is a normal reason for
# a transient child, so the top does NOT restart it and stays alive.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

inner =
  Conf.Sup.spec(:inner,
    restart: :transient, strategy: :one_for_one, max_restarts: 0, max_seconds: 5,
    children: [W.spec(:c1)]
  )

res =
  Conf.Sup.start_link(strategy: :one_for_one, max_restarts: 1, max_seconds: 5,
    children: [inner, W.spec(:c2)])

# start inner, start c1, start c2
Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
# exit c1 killed, exit inner shutdown (not restarted)
Conf.await(2)
Conf.settle(sup)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
r = Supervisor.restart_child(sup, :inner)
# start inner, start c1
Conf.await(2)
Conf.log("restart_child_inner", r)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.finish()
