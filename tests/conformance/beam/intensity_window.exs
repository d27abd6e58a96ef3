# intensity_window: one_for_one max_restarts 1, max_seconds 1; kill c1, sleep
# 2100 ms, kill c1 -> survives (the first restart fell out of the window);
# kill c1 again at once -> 2 restarts within 1 s -> supervisor exits shutdown.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 1, max_seconds: 1,
    children: [W.spec(:c1)]
  )

Conf.await(1)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
Conf.await(2)
Process.sleep(2100)
Conf.kill(:c1, :kill)
Conf.await(2)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.kill(:c1, :kill)
Conf.await(1)
Conf.finish()
