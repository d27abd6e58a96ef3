# shutdown_brutal_kill: a trapping worker with shutdown :brutal_kill;
# Supervisor.terminate_child -> exit reason killed (terminate/2 never runs).
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1, shutdown: :brutal_kill, trap: true, terminate: :hang)]
  )

Conf.await(1)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

r = Supervisor.terminate_child(sup, :c1)
Conf.await(1)
Conf.log("terminate_child", r)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
r = Supervisor.restart_child(sup, :c1)
Conf.await(1)
Conf.log("restart_child", r)

# The supervisor's own stop uses the same shutdown spec.
r = Supervisor.stop(sup)
Conf.await(1)
Conf.log("stop", r)
Conf.finish()
