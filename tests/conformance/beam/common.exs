# Shared helpers for the real-BEAM conformance scenarios.
#
#   Conf        - driver helpers: init, formatting, log, await, kill, finish
#   Conf.Collector - the :collector GenServer that records the canonical events
#   Conf.Worker - the child GenServer every scenario uses
#   Conf.Sup    - a Supervisor (optionally reporting start/exit like a child)
#   Conf.DynSup - a DynamicSupervisor (optionally reporting start/exit)
#
# Canonical format: see ../README.md. Nothing but event lines is written to
# stdout; diagnostics go to stderr and make the script exit non-zero.

defmodule Conf do
  @moduledoc false

  # ---- formatting --------------------------------------------------------

  @doc "Erlang syntax, no whitespace, pids -> <pid>, refs -> <ref>."
  def fmt(term) do
    :io_lib.format(~c"~0p", [term])
    |> IO.iodata_to_binary()
    |> String.replace(~r/<\d+\.\d+\.\d+>/, "<pid>")
    |> String.replace(~r/#Ref<[\d.]+>/, "<ref>")
    |> String.replace(~r/\s+/, "")
  end

  @doc "which_children -> [{Id,alive|undefined|restarting,Type}] (API order kept)."
  def which(children) do
    Enum.map(children, fn {id, child, type, _mods} ->
      state =
        cond do
          is_pid(child) -> :alive
          child == :restarting -> :restarting
          true -> :undefined
        end

      {id, state, type}
    end)
  end

  @doc "count_children map -> sorted proplist [{active,N},{specs,N},{supervisors,N},{workers,N}]."
  def counts(map) when is_map(map), do: map |> Map.to_list() |> Enum.sort()

  # ---- driver set-up -----------------------------------------------------

  def init do
    # No log output anywhere (crash reports, supervisor reports, ...).
    Logger.configure(level: :none)
    :logger.set_primary_config(:level, :none)
    Process.flag(:trap_exit, true)
    {:ok, _} = Conf.Collector.start()
    Process.put(:conf_sups, [])
    :ok
  end

  @doc """
  Monitor a supervisor the driver started; its fate is printed by finish/0.
  The synchronous request after the monitor makes sure the monitor is in
  place before the driver goes on: Erlang orders only the signals of one
  pair, so without it the monitor request could still be on its way when
  the supervisor dies (DOWN noproc; the BEAM on one node never shows it).
  """
  def track(label, pid) when is_pid(pid) do
    ref = Process.monitor(pid)
    _ = :sys.get_state(pid, 5_000)
    Process.put(:conf_sups, Process.get(:conf_sups) ++ [{label, pid, ref}])
    pid
  end

  @doc """
  Poll (no output) until no child pid that which_children(sup) lists is
  dead: `sup` has handled the exit signals of the children whose exit lines
  were awaited. The collector's DOWN and the supervisor's EXIT come from the
  same dying child but go to different receivers, so a driver's call may
  reach the supervisor before that EXIT does; on one node the first poll
  succeeds.
  """
  def settle(sup) do
    wait_until(fn ->
      Enum.all?(Supervisor.which_children(sup), fn {_, c, _, _} -> not is_pid(c) or Process.alive?(c) end)
    end)
  end

  # ---- events --------------------------------------------------------------

  @doc "Record `call <label> <result>`."
  def log(label, result) do
    :ok = GenServer.call(:collector, {:log, "call #{label} #{fmt(result)}"})
    result
  end

  @doc "Block until k more start/exit events than at the previous await have been seen."
  def await(k), do: do_await(k, false)

  @doc "Like await/1, but the k events of this step happen concurrently in OTP, so they are sorted (byte order)."
  def await_sorted(k), do: do_await(k, true)

  defp do_await(k, sorted) do
    try do
      :ok = GenServer.call(:collector, {:await, k, sorted}, 10_000)
    catch
      :exit, reason ->
        fail("await #{k} timed out (#{inspect(reason)})")
    end
  end

  @doc "Current (latest started) pid of the child with logical id `id`."
  def pid(id) do
    case GenServer.call(:collector, {:pid, id}) do
      pid when is_pid(pid) -> pid
      _ -> fail("no pid for #{inspect(id)}")
    end
  end

  def kill(id, reason \\ :kill), do: Process.exit(pid(id), reason)

  @doc "Make a Conf.Worker stop itself with `reason` ({:stop, reason, state})."
  def stop(id, reason), do: GenServer.cast(pid(id), {:stop, reason})

  @doc "Number of init attempts of `id` (including ones that returned stop/ignore)."
  def attempts(id), do: GenServer.call(:collector, {:attempts, id})

  @doc "Poll (synchronisation only; the output does not depend on the count of polls)."
  def wait_until(fun, timeout \\ 5_000) do
    deadline = System.monotonic_time(:millisecond) + timeout

    Stream.repeatedly(fn -> :poll end)
    |> Enum.find(fn _ ->
      cond do
        fun.() -> true
        System.monotonic_time(:millisecond) > deadline -> fail("wait_until timed out")
        true -> Process.sleep(2) && false
      end
    end)

    :ok
  end

  def fail(msg) do
    IO.puts(:stderr, "FAIL: " <> msg)

    try do
      {lines, _n, _mark} = GenServer.call(:collector, :dump, 1000)
      Enum.each(lines, &IO.puts(:stderr, "  " <> &1))
    catch
      _, _ -> :ok
    end

    System.halt(2)
  end

  # ---- end of scenario -----------------------------------------------------

  @doc "Resolve every tracked supervisor's fate, check no stray events, print."
  def finish do
    sup_lines = Enum.map(Process.get(:conf_sups), &sup_status/1)

    # Sanity check only (not for correctness): no event may arrive after the
    # last await; give stragglers a moment to show up so we fail loudly.
    Process.sleep(50)
    {lines, n, mark} = GenServer.call(:collector, :dump)
    if n != mark, do: fail("#{n - mark} unexpected event(s) after the last await")

    Enum.each(lines ++ sup_lines, &IO.puts/1)
    :ok
  end

  defp sup_status({label, pid, ref}) do
    try do
      # A synchronous request: if it answers, the supervisor has processed
      # everything queued before it and is alive.
      _ = :sys.get_state(pid, 5_000)
      "sup #{label} alive"
    catch
      :exit, _ ->
        receive do
          {:DOWN, ^ref, :process, ^pid, reason} -> "sup #{label} exit #{fmt(reason)}"
        after
          5_000 -> fail("no DOWN for supervisor #{label}")
        end
    end
  end
end

defmodule Conf.Collector do
  @moduledoc false
  use GenServer

  def start, do: GenServer.start(__MODULE__, nil, name: :collector)

  @impl true
  def init(nil) do
    # log: reversed list of {proc_index | nil, line}
    {:ok, %{log: [], n: 0, mark: 0, refs: %{}, cur: %{}, attempts: %{}, waiter: nil}}
  end

  @impl true
  def handle_call({:attempt, id}, _from, s) do
    n = Map.get(s.attempts, id, 0) + 1
    {:reply, n, %{s | attempts: Map.put(s.attempts, id, n)}}
  end

  def handle_call({:attempts, id}, _from, s), do: {:reply, Map.get(s.attempts, id, 0), s}

  def handle_call({:started, id}, {pid, _tag}, s) do
    ref = Process.monitor(pid)
    s = %{s | refs: Map.put(s.refs, ref, id), cur: Map.put(s.cur, id, pid)}
    {:reply, :ok, proc_event(s, "start #{Conf.fmt(id)}")}
  end

  def handle_call({:log, line}, _from, s) do
    {:reply, :ok, %{s | log: [{nil, line} | s.log]}}
  end

  def handle_call({:pid, id}, _from, s), do: {:reply, Map.get(s.cur, id), s}

  def handle_call({:await, k, sorted}, from, s) do
    s = %{s | waiter: {from, s.mark + k, sorted}}
    {:noreply, check_waiter(s)}
  end

  def handle_call(:dump, _from, s) do
    {:reply, {Enum.reverse(s.log) |> Enum.map(&elem(&1, 1)), s.n, s.mark}, s}
  end

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, reason}, s) do
    {id, refs} = Map.pop(s.refs, ref)
    s = %{s | refs: refs}
    {:noreply, proc_event(s, "exit #{Conf.fmt(id)} #{Conf.fmt(reason)}")}
  end

  defp proc_event(s, line) do
    n = s.n + 1
    check_waiter(%{s | n: n, log: [{n, line} | s.log]})
  end

  defp check_waiter(%{waiter: {from, target, sorted}, n: n} = s) when n >= target do
    s = if sorted, do: sort_range(s, s.mark + 1, target), else: s
    GenServer.reply(from, :ok)
    %{s | waiter: nil, mark: target}
  end

  defp check_waiter(s), do: s

  # Sort the lines of process events lo..hi in place (their slots are kept).
  defp sort_range(s, lo, hi) do
    log = Enum.reverse(s.log)
    in_range = fn {i, _} -> is_integer(i) and i >= lo and i <= hi end
    sorted = log |> Enum.filter(in_range) |> Enum.map(&elem(&1, 1)) |> Enum.sort()

    {new, []} =
      Enum.map_reduce(log, sorted, fn entry, acc ->
        if in_range.(entry), do: {{elem(entry, 0), hd(acc)}, tl(acc)}, else: {entry, acc}
      end)

    %{s | log: Enum.reverse(new)}
  end
end

defmodule Conf.Worker do
  @moduledoc false
  use GenServer

  # opts (keyword):
  #   id:        logical id (required)
  #   name:      GenServer name (optional; atom or {:via, ...})
  #   trap:      true -> trap exits
  #   init:      nil | {:stop, reason} | :ignore | {:fail_from, k, reason}
  #              (a failing/ignoring init does NOT report `start`)
  #   terminate: nil | {:sleep, ms} | :hang  (what terminate/2 does)
  def start_link(opts) do
    {name, opts} = Keyword.pop(opts, :name)

    if name,
      do: GenServer.start_link(__MODULE__, opts, name: name),
      else: GenServer.start_link(__MODULE__, opts)
  end

  def start(opts) do
    {name, opts} = Keyword.pop(opts, :name)

    if name,
      do: GenServer.start(__MODULE__, opts, name: name),
      else: GenServer.start(__MODULE__, opts)
  end

  @doc "Child spec: restart (default :permanent), shutdown (default 5000), plus worker opts."
  def spec(id, opts \\ []) do
    {restart, opts} = Keyword.pop(opts, :restart, :permanent)
    {shutdown, opts} = Keyword.pop(opts, :shutdown, 5000)

    %{
      id: id,
      start: {__MODULE__, :start_link, [[id: id] ++ opts]},
      restart: restart,
      shutdown: shutdown,
      type: :worker
    }
  end

  @impl true
  def init(opts) do
    id = Keyword.fetch!(opts, :id)
    if opts[:trap], do: Process.flag(:trap_exit, true)
    n = GenServer.call(:collector, {:attempt, id})

    case opts[:init] do
      {:stop, reason} ->
        {:stop, reason}

      :ignore ->
        :ignore

      {:fail_from, k, reason} when n >= k ->
        {:stop, reason}

      _ ->
        :ok = GenServer.call(:collector, {:started, id})
        {:ok, %{id: id, terminate: opts[:terminate], received: []}}
    end
  end

  @impl true
  def handle_call(:ping, _from, s), do: {:reply, :pong, s}
  def handle_call(:received, _from, s), do: {:reply, Enum.reverse(s.received), s}
  def handle_call({:stop_noreply, reason}, _from, s), do: {:stop, reason, s}
  def handle_call({:stop_reply, reason, reply}, _from, s), do: {:stop, reason, reply, s}

  def handle_call({:sleep, ms}, _from, s) do
    Process.sleep(ms)
    {:reply, :late, s}
  end

  # like {:sleep, ms}, but first tells `notify` that the call is in progress
  def handle_call({:sleep, ms, notify}, _from, s) do
    send(notify, {:sleeping, self()})
    Process.sleep(ms)
    {:reply, :late, s}
  end

  @impl true
  def handle_cast({:stop, reason}, s), do: {:stop, reason, s}

  @impl true
  def handle_info(msg, s), do: {:noreply, %{s | received: [msg | s.received]}}

  @impl true
  def terminate(_reason, s) do
    case s.terminate do
      {:sleep, ms} -> Process.sleep(ms)
      :hang -> Process.sleep(:infinity)
      _ -> :ok
    end
  end
end

defmodule Conf.Sup do
  @moduledoc false
  use Supervisor

  # opts: id, report (bool), children, strategy, max_restarts, max_seconds, name
  def start_link(opts) do
    case opts[:name] do
      nil -> Supervisor.start_link(__MODULE__, opts)
      name -> Supervisor.start_link(__MODULE__, opts, name: name)
    end
  end

  @doc "Child spec for a nested supervisor (permanent, shutdown infinity, type supervisor)."
  def spec(id, opts) do
    %{
      id: id,
      start: {__MODULE__, :start_link, [[id: id, report: true] ++ opts]},
      restart: Keyword.get(opts, :restart, :permanent),
      shutdown: :infinity,
      type: :supervisor
    }
  end

  @impl true
  def init(opts) do
    if opts[:report] do
      _ = GenServer.call(:collector, {:attempt, opts[:id]})
      :ok = GenServer.call(:collector, {:started, opts[:id]})
    end

    Supervisor.init(Keyword.fetch!(opts, :children),
      strategy: Keyword.fetch!(opts, :strategy),
      max_restarts: Keyword.fetch!(opts, :max_restarts),
      max_seconds: Keyword.fetch!(opts, :max_seconds)
    )
  end
end

defmodule Conf.DynSup do
  @moduledoc false
  use DynamicSupervisor

  # opts: id, report (bool), max_children, max_restarts, max_seconds
  def start_link(opts), do: DynamicSupervisor.start_link(__MODULE__, opts)

  def spec(id, opts) do
    %{
      id: id,
      start: {__MODULE__, :start_link, [[id: id, report: true] ++ opts]},
      restart: :permanent,
      shutdown: :infinity,
      type: :supervisor
    }
  end

  @impl true
  def init(opts) do
    if opts[:report] do
      _ = GenServer.call(:collector, {:attempt, opts[:id]})
      :ok = GenServer.call(:collector, {:started, opts[:id]})
    end

    DynamicSupervisor.init(
      strategy: :one_for_one,
      max_children: Keyword.get(opts, :max_children, :infinity),
      max_restarts: Keyword.fetch!(opts, :max_restarts),
      max_seconds: Keyword.fetch!(opts, :max_seconds)
    )
  end
end
