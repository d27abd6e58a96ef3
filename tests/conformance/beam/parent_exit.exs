# parent_exit: a supervisor ignores an exit signal from a process that is
# neither its parent nor a child; an exit signal from its parent (the driver,
# which start_linked it) makes it stop its children in reverse start order
# and exit with the parent's reason.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 3, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

# a stranger sends exit(sup, foo): ignored (the supervisor traps exits)
driver = self()
spawn(fn -> Process.exit(sup, :foo); send(driver, :sent) end)
receive do: (:sent -> :ok)
Conf.log("which_children", Conf.which(Supervisor.which_children(sup)))

# the parent sends exit(sup, bye)
Process.exit(sup, :bye)
Conf.await(3)
Conf.finish()
