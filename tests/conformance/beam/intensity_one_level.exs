# intensity_one_level: one_for_one, max_restarts 2, max_seconds 5, 2 workers;
# kill c1 three times -> the third exceeds the intensity: c2 terminated, sup exits shutdown.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 2, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2)]
  )

Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
Conf.await(2)
Conf.kill(:c1, :kill)
Conf.await(2)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.kill(:c1, :kill)
# exit c1 killed, exit c2 shutdown (no restart of c1)
Conf.await(2)
Conf.finish()
