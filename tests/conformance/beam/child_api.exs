# child_api: Supervisor.start_child / terminate_child / restart_child /
# delete_child results on a one_for_one supervisor.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2, restart: :transient)]
  )

Conf.await(2)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

c1 = Conf.pid(:c1)
r = Supervisor.start_child(sup, W.spec(:c1))
Conf.log("start_child_c1_running", r)
Conf.log("already_started_pid_is_c1", r == {:error, {:already_started, c1}})
Conf.log("delete_child_c1_running", Supervisor.delete_child(sup, :c1))
Conf.log("restart_child_c1_running", Supervisor.restart_child(sup, :c1))

r = Supervisor.terminate_child(sup, :c1)
Conf.await(1)
Conf.log("terminate_child_c1", r)
Conf.log("terminate_child_c1_again", Supervisor.terminate_child(sup, :c1))
Conf.log("start_child_c1_terminated", Supervisor.start_child(sup, W.spec(:c1)))
r = Supervisor.restart_child(sup, :c1)
Conf.await(1)
Conf.log("restart_child_c1", r)

r = Supervisor.terminate_child(sup, :c1)
Conf.await(1)
Conf.log("terminate_child_c1", r)
Conf.log("delete_child_c1", Supervisor.delete_child(sup, :c1))
Conf.log("restart_child_c1_deleted", Supervisor.restart_child(sup, :c1))
Conf.log("terminate_child_nope", Supervisor.terminate_child(sup, :nope))
Conf.log("delete_child_nope", Supervisor.delete_child(sup, :nope))

# a new child goes to the end of the start order
r = Supervisor.start_child(sup, W.spec(:c3))
Conf.await(1)
Conf.log("start_child_c3", r)
# the child's init returns {stop,bad}: {error,{bad,ChildSpec}} - printed with the spec replaced by childspec
r = Supervisor.start_child(sup, W.spec(:c4, init: {:stop, :bad}))

r =
  case r do
    {:error, {what, spec}} when is_tuple(spec) or is_map(spec) -> {:error, {what, :childspec}}
    other -> other
  end

Conf.log("start_child_c4_init_stop", r)
Conf.log("c4_spec_stored", Enum.any?(Supervisor.which_children(sup), &(elem(&1, 0) == :c4)))
r = Supervisor.start_child(sup, W.spec(:c5, init: :ignore))
Conf.log("start_child_c5_init_ignore", r)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))
Conf.log("count_children", Conf.counts(Supervisor.count_children(sup)))
r = Supervisor.restart_child(sup, :c5)
Conf.log("restart_child_c5_ignore", r)

r = Supervisor.stop(sup)
# exit c3 shutdown, exit c2 shutdown
Conf.await(2)
Conf.log("stop", r)
Conf.finish()
