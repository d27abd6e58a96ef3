# task_supervisor: Task.Supervisor.start_child with a crashing task;
# async_nolink + Task.yield (nil when slow) + Task.shutdown(:brutal_kill);
# yield of a crashed task; shutdown of a task whose reply already arrived.
Code.require_file("common.exs", __DIR__)
Conf.init()

started = fn id -> :ok = GenServer.call(:collector, {:started, id}) end
res = Task.Supervisor.start_link()
Conf.log("start_link", res)
{:ok, ts} = res
Conf.track(:ts, ts)

# t1: start_child, the task exits :boom -> not restarted, supervisor unaffected
r = Task.Supervisor.start_child(ts, fn -> started.(:t1); exit(:boom) end)
# start t1, exit t1 boom
Conf.await(2)
Conf.log("start_child_t1", r)
Conf.wait_until(fn -> Task.Supervisor.children(ts) == [] end)
Conf.log("children_after_t1", Task.Supervisor.children(ts))

# t2: slow task (sleeps 500 ms); yield 100 -> nil; shutdown brutal_kill -> nil
t2 = Task.Supervisor.async_nolink(ts, fn -> started.(:t2); Process.sleep(500); :done end)
Conf.await(1)
Conf.log("yield_t2_100ms", Task.yield(t2, 100))
r = Task.shutdown(t2, :brutal_kill)
Conf.await(1)
Conf.log("shutdown_t2", r)

# t3: fast task -> yield gives {ok,done}
t3 = Task.Supervisor.async_nolink(ts, fn -> started.(:t3); :done end)
Conf.await(2)
Conf.log("yield_t3", Task.yield(t3, 1000))

# t4: crashing async_nolink task -> yield gives {exit,boom}; caller unaffected
t4 = Task.Supervisor.async_nolink(ts, fn -> started.(:t4); exit(:boom) end)
Conf.await(2)
Conf.log("yield_t4", Task.yield(t4, 1000))

# t5: reply already arrived -> shutdown(brutal_kill) gives {ok,done}
t5 = Task.Supervisor.async_nolink(ts, fn -> started.(:t5); :done end)
Conf.await(2)
Conf.log("shutdown_t5", Task.shutdown(t5, :brutal_kill))

Conf.wait_until(fn -> Task.Supervisor.children(ts) == [] end)
Conf.log("count_children", Conf.counts(DynamicSupervisor.count_children(ts)))
Conf.finish()
