# dynamic_max_children: DynamicSupervisor with max_children 2.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res = Conf.DynSup.start_link(max_children: 2, max_restarts: 3, max_seconds: 5)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:dyn, sup)

# d1, registered under the local name :dname
r = DynamicSupervisor.start_child(sup, W.spec(:d1, name: :dname))
Conf.await(1)
Conf.log("start_child_d1", r)

# a child whose start returns {error,{already_started,Pid}} (same local name):
# passed through unchanged, nothing stored, no process ran init
r = DynamicSupervisor.start_child(sup, W.spec(:dx, name: :dname))
Conf.log("start_child_dup_name", r)
d1 = Conf.pid(:d1)
Conf.log("already_started_pid_is_d1", match?({:error, {:already_started, ^d1}}, r))
Conf.log("dup_name_init_attempts", Conf.attempts(:dx))

# a child whose init returns {stop,bad}: {error,bad}, nothing stored
r = DynamicSupervisor.start_child(sup, W.spec(:dbad, init: {:stop, :bad}))
Conf.log("start_child_init_stop", r)
# a child whose init returns ignore: ignore, nothing stored
r = DynamicSupervisor.start_child(sup, W.spec(:dign, init: :ignore))
Conf.log("start_child_init_ignore", r)
Conf.log("count_children", Conf.counts(DynamicSupervisor.count_children(sup)))

r = DynamicSupervisor.start_child(sup, W.spec(:d2))
Conf.await(1)
Conf.log("start_child_d2", r)
r = DynamicSupervisor.start_child(sup, W.spec(:d3))
Conf.log("start_child_d3", r)
Conf.log("d3_init_attempts", Conf.attempts(:d3))
Conf.log("count_children", Conf.counts(DynamicSupervisor.count_children(sup)))

# d1 is restarted (permanent) and re-registers :dname; still full
Conf.kill(:d1, :kill)
Conf.await(2)
r = DynamicSupervisor.start_child(sup, W.spec(:d3))
Conf.log("start_child_d3", r)

# make room: terminate_child by pid
r = DynamicSupervisor.terminate_child(sup, Conf.pid(:d2))
Conf.await(1)
Conf.log("terminate_child_d2", r)
r = DynamicSupervisor.terminate_child(sup, Conf.pid(:d2))
Conf.log("terminate_child_d2_again", r)
r = DynamicSupervisor.start_child(sup, W.spec(:d3))
Conf.await(1)
Conf.log("start_child_d3", r)
Conf.log("count_children", Conf.counts(DynamicSupervisor.count_children(sup)))
Conf.log("which_children", Conf.which(DynamicSupervisor.which_children(sup)))
Conf.finish()
