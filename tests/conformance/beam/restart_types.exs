# restart_types: one_for_one (10/5) with perm (permanent), trans (transient),
# temp (temporary). Each exits :normal, then abnormally (:boom), and trans
# with {:shutdown, :x}; perm also with :shutdown.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 10, max_seconds: 5,
    children: [
      W.spec(:perm, restart: :permanent),
      W.spec(:trans, restart: :transient),
      W.spec(:temp, restart: :temporary)
    ]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

# 1. normal exits
Conf.stop(:perm, :normal)
Conf.await(2)
Conf.stop(:trans, :normal)
Conf.await(1)
Conf.stop(:temp, :normal)
Conf.await(1)
Conf.settle(sup)
Conf.log("which_children_after_normal", Conf.which(Supervisor.which_children(sup)))

# 2. fresh instances: restart_child for trans; temp's spec is gone
r = Supervisor.restart_child(sup, :trans)
Conf.await(1)
Conf.log("restart_child_trans", r)
Conf.log("restart_child_temp", Supervisor.restart_child(sup, :temp))
r = Supervisor.start_child(sup, W.spec(:temp, restart: :temporary))
Conf.await(1)
Conf.log("start_child_temp", r)

# 3. abnormal exits
Conf.stop(:perm, :boom)
Conf.await(2)
Conf.stop(:trans, :boom)
Conf.await(2)
Conf.stop(:temp, :boom)
Conf.await(1)
Conf.settle(sup)
Conf.log("which_children_after_boom", Conf.which(Supervisor.which_children(sup)))

# 4. shutdown-ish exits
Conf.stop(:trans, {:shutdown, :x})
Conf.await(1)
Conf.stop(:perm, :shutdown)
Conf.await(2)
Conf.settle(sup)
Conf.log("which_children_after_shutdown", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
Conf.finish()
