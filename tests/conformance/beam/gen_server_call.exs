# gen_server_call: the caller's exit reason (first element) for a call to a
# dead pid, to an unregistered name, to self, to a server that stops
# mid-call, and on a timeout; {stop,R,Reply,S} replies first.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

call = fn server, req, timeout ->
  try do
    {:ok, GenServer.call(server, req, timeout)}
  catch
    :exit, reason -> {:exit, elem(reason, 0)}
  end
end

# w0: started unlinked and stopped normally -> calling its pid: noproc
{:ok, w0} = W.start(id: :w0)
Conf.await(1)
Conf.stop(:w0, :normal)
Conf.await(1)
Conf.log("dead_pid", call.(w0, :ping, 5000))
# the whole exit reason, once: {noproc,{'Elixir.GenServer',call,[<pid>,ping,5000]}}
Conf.log("dead_pid_full_reason", try(do: GenServer.call(w0, :ping, 5000), catch: (:exit, reason -> reason)))
Conf.log("unregistered_name", call.(:no_such_name, :ping, 5000))
Conf.log("self", call.(self(), :ping, 5000))

# w1 stops without replying (boom): caller exits boom
{:ok, _} = W.start(id: :w1)
Conf.await(1)
r = call.(Conf.pid(:w1), {:stop_noreply, :boom}, 5000)
Conf.await(1)
Conf.log("stop_mid_call_boom", r)

# w2 stops without replying (normal): caller exits normal
{:ok, _} = W.start(id: :w2)
Conf.await(1)
r = call.(Conf.pid(:w2), {:stop_noreply, :normal}, 5000)
Conf.await(1)
Conf.log("stop_mid_call_normal", r)

# w3 is killed while the caller waits
{:ok, _} = W.start(id: :w3)
Conf.await(1)
w3 = Conf.pid(:w3)
driver = self()
# the call is made by a helper process; w3 tells the driver when it is
# inside handle_call
spawn(fn -> send(driver, {:res, call.(w3, {:sleep, 5000, driver}, 10_000)}) end)
receive do: ({:sleeping, ^w3} -> :ok)
Process.exit(w3, :kill)
r = receive do: ({:res, r} -> r)
Conf.await(1)
Conf.log("killed_mid_call", r)

# w4: timeout -> timeout; the late reply is dropped
{:ok, _} = W.start(id: :w4)
Conf.await(1)
w4 = Conf.pid(:w4)
Conf.log("timeout", call.(w4, {:sleep, 300}, 100))
# this call is served after the slow one, so its late reply (if any) was sent before
Conf.log("ping_after_timeout", call.(w4, :ping, 5000))
stray = Process.info(self(), :messages) |> elem(1) |> Enum.filter(&match?({r, _} when is_reference(r), &1))
Conf.log("late_reply_in_mailbox", stray != [])

# w5: {stop,normal,bye,S}: the caller gets the reply, then the server exits
{:ok, _} = W.start(id: :w5)
Conf.await(1)
r = call.(Conf.pid(:w5), {:stop_reply, :normal, :bye}, 5000)
Conf.await(1)
Conf.log("stop_with_reply", r)
Conf.finish()
