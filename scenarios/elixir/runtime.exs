# The Elixir runtime of `otpsim elixir`: builds a declared tree
# (core/tree/spec.hpp) from the real Supervisor, DynamicSupervisor, Registry
# and Task.Supervisor, runs the scenario's clients and at_ms faults, and
# prints the canonical observation (scenarios/observation.hpp). The script
# `otpsim elixir` writes is this file, the scenario as Elixir data
# (scenarios/elixir_export.cpp) and a call to Otpsim.Main.run/1.
#
# Observation lines, sorted bytewise:
#   call <client> <n> <result>   the n-th call (1-based) of a client
#   node <path> starts N exits [R1,R2]  processes started for a path, their exit reasons sorted
#   final <path> alive|dead      each static path at the end
#   root alive | root exit <R>   the root supervisor's fate
# Terms print as otpsim's Term::to_string with pids -> <pid>, refs -> <ref>.
#
# Exit reasons the BEAM gives as Elixir exceptions are normalised to the
# atoms the simulator uses (Otpsim.Fmt.reason/1):
#   {%FunctionClauseError{}, stack}     -> function_clause
#   {%CaseClauseError{term: T}, stack}  -> {case_clause, T}
#   {%MatchError{term: T}, stack}       -> {badmatch, T}
#   {%ArgumentError{}, stack}, {badarg, stack} -> badarg
#   {%ErlangError{original: O}, stack}  -> O
#   {Atom, stack} (an Erlang error)     -> Atom
# and the same inside a call's exit reason ({R, {'Elixir.GenServer',call,_}}).

defmodule Otpsim.Fmt do
  @moduledoc false

  @doc "otpsim's Term::to_string, pids and refs anonymised, binaries as strings."
  def term(t) when is_integer(t), do: Integer.to_string(t)
  def term(t) when is_atom(t), do: atom(Atom.to_string(t))
  def term(t) when is_pid(t) or is_port(t), do: "<pid>"
  def term(t) when is_reference(t), do: "<ref>"
  def term(t) when is_binary(t), do: "\"" <> escape(t) <> "\""
  def term(t) when is_tuple(t), do: "{" <> join(Tuple.to_list(t)) <> "}"
  def term(t) when is_list(t), do: "[" <> join(t) <> "]"
  def term(t) when is_map(t), do: term(t |> Map.to_list() |> Enum.sort())
  def term(t), do: inspect(t)

  defp join(list), do: list |> Enum.map(&term/1) |> Enum.join(",")

  defp atom(text) do
    if text =~ ~r/^[a-z][a-zA-Z0-9_@]*$/,
      do: text,
      else: "'" <> String.replace(text, ~r/(['\\])/, "\\\\\\1") <> "'"
  end

  defp escape(s) do
    s
    |> String.replace("\\", "\\\\")
    |> String.replace("\"", "\\\"")
    |> String.replace("\n", "\\n")
    |> String.replace("\r", "\\r")
    |> String.replace("\t", "\\t")
  end

  @doc "A dynamic child's arg in its path: as term/1, strings without quotes."
  def arg(a) when is_binary(a), do: a
  def arg(a), do: term(a)

  @doc "An exit reason with Elixir exceptions normalised (see the top of this file)."
  def reason({r, {GenServer, :call, args}}), do: {reason(r), {GenServer, :call, args}}
  def reason({r, stack}) when is_list(stack) and stack != [] do
    if Enum.all?(stack, &stack_entry?/1), do: exception(r), else: {r, stack}
  end
  def reason(r), do: r

  defp stack_entry?({_m, _f, _a, _loc}), do: true
  defp stack_entry?(_), do: false

  defp exception(%FunctionClauseError{}), do: :function_clause
  defp exception(%CaseClauseError{term: t}), do: {:case_clause, t}
  defp exception(%MatchError{term: t}), do: {:badmatch, t}
  defp exception(%ArgumentError{}), do: :badarg
  defp exception(%ErlangError{original: o}), do: o
  defp exception(%{__exception__: true, __struct__: m}), do: m
  defp exception(r), do: r
end

defmodule Otpsim.Collector do
  @moduledoc false
  # Counts the processes started for each path, the latest pid of each, the
  # exit reasons (from its monitors), and the clients' call results.
  use GenServer

  def start, do: GenServer.start(__MODULE__, nil, name: :otpsim_collector)
  def started(path), do: GenServer.call(:otpsim_collector, {:started, path, self()}, :infinity)
  def started(path, pid), do: GenServer.call(:otpsim_collector, {:started, path, pid}, :infinity)
  def failed(path, reason), do: GenServer.call(:otpsim_collector, {:failed, path, reason}, :infinity)
  def pid(path), do: GenServer.call(:otpsim_collector, {:pid, path}, :infinity)
  def result(client, n, line), do: GenServer.call(:otpsim_collector, {:result, client, n, line}, :infinity)
  def dump, do: GenServer.call(:otpsim_collector, :dump, :infinity)

  @impl true
  def init(nil), do: {:ok, %{starts: %{}, exits: %{}, cur: %{}, refs: %{}, results: []}}

  @impl true
  def handle_call({:started, path, pid}, _from, s) do
    ref = Process.monitor(pid)

    {:reply, :ok,
     %{s | starts: Map.update(s.starts, path, 1, &(&1 + 1)), cur: Map.put(s.cur, path, pid), refs: Map.put(s.refs, ref, path)}}
  end

  def handle_call({:failed, path, reason}, _from, s) do
    {:reply, :ok, %{s | starts: Map.update(s.starts, path, 1, &(&1 + 1)), exits: Map.update(s.exits, path, [reason], &[reason | &1])}}
  end

  def handle_call({:pid, path}, _from, s), do: {:reply, Map.get(s.cur, path), s}
  def handle_call({:result, c, n, line}, _from, s), do: {:reply, :ok, %{s | results: [{c, n, line} | s.results]}}
  def handle_call(:dump, _from, s), do: {:reply, s, s}

  @impl true
  def handle_info({:DOWN, ref, :process, _pid, reason}, s) do
    {path, refs} = Map.pop(s.refs, ref)
    exits = Map.update(s.exits, path, [reason], &[reason | &1])
    {:noreply, %{s | refs: refs, exits: exits}}
  end
end

defmodule Otpsim.Tree do
  @moduledoc false
  # The scenario's tree, in :persistent_term: nodes by path, templates and
  # behaviours by name.
  def put(tree), do: :persistent_term.put(:otpsim_tree, tree)
  def get, do: :persistent_term.get(:otpsim_tree)
  def node_at(path), do: Map.fetch!(get().nodes, path)
  def template(id), do: Map.fetch!(get().templates, id)
  def behaviour(name), do: Map.fetch!(get().behaviours, name)

  @doc "The child spec of the static node at `path`."
  def child_spec(path) do
    n = node_at(path)

    {start, type} =
      case n.kind do
        :worker -> {{Otpsim.Worker, :start_link, [path, n, n.arg]}, :worker}
        :supervisor -> {{Otpsim.Sup, :start_link, [path]}, :supervisor}
        :dynamic_supervisor -> {{Otpsim.DynSup, :start_link, [path]}, :supervisor}
        :registry -> {{Otpsim.Rt, :start_registry, [path]}, :supervisor}
        :task_supervisor -> {{Otpsim.Rt, :start_task_sup, [path]}, :supervisor}
      end

    %{id: n.id, start: start, restart: n.restart, shutdown: n.shutdown, type: type}
  end

  @doc "The child spec of template `id` with `arg`, under the DynamicSupervisor at `sup`."
  def template_spec(sup, id, arg) do
    t = template(id)
    path = sup <> "/" <> id <> ":" <> Otpsim.Fmt.arg(arg)
    %{id: path, start: {Otpsim.Worker, :start_link, [path, t, arg]}, restart: t.restart, shutdown: t.shutdown, type: :worker}
  end

  def name_opts(n, arg) do
    cond do
      n.via_registry != nil -> [name: {:via, Registry, {n.via_registry, Otpsim.Steps.eval(n.via_key, %{vars: %{"$arg" => arg}})}}]
      n.name != nil -> [name: n.name]
      true -> []
    end
  end
end

defmodule Otpsim.Sup do
  @moduledoc false
  use Supervisor

  def start_link(path) do
    n = Otpsim.Tree.node_at(path)
    Supervisor.start_link(__MODULE__, path, if(n.name, do: [name: n.name], else: []))
  end

  @impl true
  def init(path) do
    Otpsim.Collector.started(path)
    n = Otpsim.Tree.node_at(path)
    children = Enum.map(n.children, &Otpsim.Tree.child_spec(path <> "/" <> &1))
    Supervisor.init(children, strategy: n.strategy, max_restarts: n.intensity, max_seconds: n.period)
  end
end

defmodule Otpsim.DynSup do
  @moduledoc false
  use DynamicSupervisor

  def start_link(path) do
    n = Otpsim.Tree.node_at(path)
    DynamicSupervisor.start_link(__MODULE__, path, if(n.name, do: [name: n.name], else: []))
  end

  @impl true
  def init(path) do
    Otpsim.Collector.started(path)
    n = Otpsim.Tree.node_at(path)
    DynamicSupervisor.init(strategy: :one_for_one, max_children: n.max_children, max_restarts: n.intensity, max_seconds: n.period)
  end
end

defmodule Otpsim.Rt do
  @moduledoc false
  # Registry and Task.Supervisor nodes: their init runs in OTP's code, so
  # the collector hears of them when start_link returns.

  def start_registry(path) do
    n = Otpsim.Tree.node_at(path)
    reported(path, Registry.start_link(keys: :unique, name: n.name, partitions: n.partitions))
  end

  def start_task_sup(path) do
    n = Otpsim.Tree.node_at(path)
    opts = [max_children: n.max_children] ++ if(n.name, do: [name: n.name], else: [])
    reported(path, Task.Supervisor.start_link(opts))
  end

  defp reported(path, {:ok, pid} = ok) do
    Otpsim.Collector.started(path, pid)
    ok
  end

  # A start refused by the name check started no process (as on otpsim);
  # any other error is a process that started and exited with that reason.
  defp reported(_path, {:error, {:already_started, _}} = e), do: e

  defp reported(path, {:error, reason} = e) do
    Otpsim.Collector.failed(path, reason)
    e
  end

  defp reported(_path, other), do: other

  @doc "The latest process of `path` (an atom: a registered name), or nil."
  def whereis(path) when is_atom(path), do: Process.whereis(path)
  def whereis(path), do: Otpsim.Collector.pid(path)
end

defmodule Otpsim.Steps do
  @moduledoc false
  # The interpreter of declared steps. ctx: %{vars, st (the state map),
  # from (a call's caller or nil), replied}. run/2 returns {:cont, ctx} or
  # {:halt, outcome, ctx}: outcome :noreply | {:stop, R} | :ignore.

  def run([], ctx), do: {:cont, ctx}

  def run([step | rest], ctx) do
    case step(step, ctx) do
      {:cont, ctx} -> run(rest, ctx)
      halt -> halt
    end
  end

  defp result(ctx, step, value) do
    vars = Map.put(ctx.vars, "$result", value)
    vars = if step.as, do: Map.put(vars, step.as, value), else: vars
    {:cont, %{ctx | vars: vars}}
  end

  defp v(step, field, ctx), do: eval(Map.fetch!(step, field), ctx)

  defp step(%{k: :reply} = s, ctx) do
    if ctx.from && !ctx.replied, do: GenServer.reply(ctx.from, v(s, :value, ctx))
    {:cont, %{ctx | replied: true}}
  end

  defp step(%{k: :noreply}, ctx), do: {:halt, :noreply, ctx}
  defp step(%{k: :stop} = s, ctx), do: {:halt, {:stop, v(s, :reason, ctx)}, ctx}
  defp step(%{k: :ignore}, ctx), do: {:halt, :ignore, ctx}
  defp step(%{k: :crash} = s, ctx), do: exit(v(s, :reason, ctx))

  defp step(%{k: :sleep} = s, ctx) do
    Process.sleep(s.timeout)
    {:cont, ctx}
  end

  defp step(%{k: :trap_exit}, ctx) do
    Process.flag(:trap_exit, true)
    {:cont, ctx}
  end

  defp step(%{k: :match} = s, ctx) do
    subject = v(s, :value, ctx)

    Enum.find_value(s.clauses, fn {pattern, steps} ->
      case match(pattern, subject, ctx.vars) do
        {:ok, vars} -> {:run, steps, vars}
        :error -> nil
      end
    end)
    |> case do
      {:run, steps, vars} -> run(steps, %{ctx | vars: vars})
      nil -> raise CaseClauseError, term: subject
    end
  end

  defp step(%{k: :set} = s, ctx), do: {:cont, %{ctx | vars: Map.put(ctx.vars, s.as, v(s, :value, ctx))}}
  defp step(%{k: :state_put} = s, ctx), do: {:cont, %{ctx | st: Map.put(ctx.st, v(s, :key, ctx), v(s, :value, ctx))}}
  defp step(%{k: :state_get} = s, ctx), do: result(ctx, s, Map.get(ctx.st, v(s, :key, ctx)))

  defp step(%{k: :call} = s, ctx) do
    to = address(v(s, :to, ctx))
    req = v(s, :value, ctx)

    r =
      if s.catch do
        try do
          GenServer.call(to, req, s.timeout)
        catch
          :exit, reason -> {:exit, Otpsim.Fmt.reason(reason)}
          # A via-name whose Registry is down raises ArgumentError in the
          # caller; the simulator's call exits badarg, and catch takes both.
          :error, e -> {:exit, Otpsim.Fmt.reason({e, __STACKTRACE__})}
        end
      else
        GenServer.call(to, req, s.timeout)
      end

    result(ctx, s, r)
  end

  defp step(%{k: :cast} = s, ctx) do
    GenServer.cast(address(v(s, :to, ctx)), v(s, :value, ctx))
    {:cont, ctx}
  end

  defp step(%{k: :send} = s, ctx) do
    to = address(v(s, :to, ctx))

    case to do
      {:via, _, _} ->
        case GenServer.whereis(to) do
          nil -> :erlang.error(:badarg)
          pid -> send(pid, v(s, :value, ctx))
        end

      _ ->
        send(to, v(s, :value, ctx))
    end

    {:cont, ctx}
  end

  defp step(%{k: :send_after} = s, ctx) do
    Process.send_after(self(), v(s, :value, ctx), s.timeout)
    {:cont, ctx}
  end

  defp step(%{k: :register_name} = s, ctx) do
    Process.register(self(), v(s, :to, ctx))
    {:cont, ctx}
  end

  defp step(%{k: :registry_register} = s, ctx), do: result(ctx, s, Registry.register(s.registry, v(s, :key, ctx), v(s, :value, ctx)))
  defp step(%{k: :registry_lookup} = s, ctx), do: result(ctx, s, Registry.lookup(s.registry, v(s, :key, ctx)))
  defp step(%{k: :whereis} = s, ctx), do: result(ctx, s, GenServer.whereis(address(v(s, :to, ctx))))

  defp step(%{k: :table_new} = s, ctx) do
    heir =
      case s.heir && Process.whereis(s.heir) do
        pid when is_pid(pid) -> [{:heir, pid, []}]
        _ -> []
      end

    :ets.new(s.table, [:named_table, :public, :set] ++ heir)
    {:cont, ctx}
  end

  defp step(%{k: :table_insert} = s, ctx) do
    :ets.insert(s.table, {v(s, :key, ctx), v(s, :value, ctx)})
    {:cont, ctx}
  end

  defp step(%{k: :table_lookup} = s, ctx) do
    key = v(s, :key, ctx)

    r =
      if s.catch do
        try do
          :ets.lookup(s.table, key)
        rescue
          ArgumentError -> {:exit, :badarg}
        end
      else
        :ets.lookup(s.table, key)
      end

    result(ctx, s, r)
  end

  defp step(%{k: :table_delete} = s, ctx) do
    :ets.delete(s.table, v(s, :key, ctx))
    {:cont, ctx}
  end

  defp step(%{k: :start_child} = s, ctx) do
    arg = v(s, :value, ctx)
    sup = Otpsim.Rt.whereis(s.sup)
    result(ctx, s, DynamicSupervisor.start_child(sup, Otpsim.Tree.template_spec(s.sup, s.child, arg)))
  end

  defp step(%{k: :task_async} = s, ctx) do
    body = task_body(s, ctx)

    r =
      if s.catch do
        try do
          Task.await(Task.async(body), s.timeout)
        catch
          :exit, reason -> {:exit, Otpsim.Fmt.reason(reason)}
        end
      else
        Task.await(Task.async(body), s.timeout)
      end

    result(ctx, s, r)
  end

  defp step(%{k: :task_async_nolink} = s, ctx) do
    t = Task.Supervisor.async_nolink(Otpsim.Rt.whereis(s.sup), task_body(s, ctx))

    r =
      case Task.yield(t, s.timeout) do
        {:exit, reason} -> {:exit, Otpsim.Fmt.reason(reason)}
        other -> other
      end

    result(ctx, s, r)
  end

  defp step(%{k: :task_start_child} = s, ctx) do
    result(ctx, s, Task.Supervisor.start_child(Otpsim.Rt.whereis(s.sup), task_body(s, ctx)))
  end

  # A task runs the body with the caller's variables; its value is its $result.
  defp task_body(s, ctx) do
    vars = Map.put(ctx.vars, "$self", nil)

    fn ->
      vars = Map.put(vars, "$self", self())
      {_, c} = finish_task(run(s.steps, %{vars: vars, st: %{}, from: nil, replied: false}))
      Map.get(c.vars, "$result")
    end
  end

  defp finish_task({:cont, c}), do: {:ok, c}
  defp finish_task({:halt, {:stop, r}, _c}), do: exit(r)
  defp finish_task({:halt, _, c}), do: {:ok, c}

  @doc "An address as a gen call takes it: an atom, a pid, or {via, Registry, Key}."
  def address({:via, reg, key}) when reg != Registry, do: {:via, Registry, {reg, key}}
  def address(to), do: to

  @doc "A value with its $variables filled in."
  def eval(t, ctx) when is_atom(t) and t not in [nil, true, false] do
    case Atom.to_string(t) do
      "$" <> _ = name ->
        case Map.fetch(ctx.vars, name) do
          {:ok, value} -> value
          :error -> exit({:unbound, t})
        end

      _ ->
        t
    end
  end

  def eval(t, ctx) when is_tuple(t), do: t |> Tuple.to_list() |> Enum.map(&eval(&1, ctx)) |> List.to_tuple()
  def eval(t, ctx) when is_list(t), do: Enum.map(t, &eval(&1, ctx))
  def eval(t, _ctx), do: t

  @doc "{:ok, vars} if `pattern` matches `value` (binding unbound $vars), else :error."
  def match(:_, _value, vars), do: {:ok, vars}

  def match(p, value, vars) when is_atom(p) and p not in [nil, true, false] do
    case Atom.to_string(p) do
      "$" <> _ = name ->
        case Map.fetch(vars, name) do
          {:ok, ^value} -> {:ok, vars}
          {:ok, _} -> :error
          :error -> {:ok, Map.put(vars, name, value)}
        end

      _ ->
        if p == value, do: {:ok, vars}, else: :error
    end
  end

  def match(p, value, vars) when is_tuple(p) and is_tuple(value) and tuple_size(p) == tuple_size(value),
    do: match_all(Tuple.to_list(p), Tuple.to_list(value), vars)

  def match(p, value, vars) when is_list(p) and is_list(value) and length(p) == length(value),
    do: match_all(p, value, vars)

  def match(p, value, vars), do: if(p === value, do: {:ok, vars}, else: :error)

  defp match_all([], [], vars), do: {:ok, vars}

  defp match_all([p | ps], [v | vs], vars) do
    case match(p, v, vars) do
      {:ok, vars} -> match_all(ps, vs, vars)
      :error -> :error
    end
  end
end

defmodule Otpsim.Worker do
  @moduledoc false
  # A declared gen_server: runs its behaviour's steps (Otpsim.Steps).
  use GenServer

  def start_link(path, node, arg), do: GenServer.start_link(__MODULE__, {path, node, arg}, Otpsim.Tree.name_opts(node, arg))

  @impl true
  def init({path, node, arg}) do
    Otpsim.Collector.started(path)
    beh = Otpsim.Tree.behaviour(node.behaviour)
    ctx = %{vars: %{"$self" => self(), "$arg" => arg}, st: %{}, from: nil, replied: false}

    case Otpsim.Steps.run(beh.init, ctx) do
      {:cont, ctx} -> {:ok, {beh, arg, ctx.st}}
      {:halt, :noreply, ctx} -> {:ok, {beh, arg, ctx.st}}
      {:halt, {:stop, r}, _} -> {:stop, r}
      {:halt, :ignore, _} -> :ignore
    end
  end

  @impl true
  def handle_call(msg, from, {beh, _, _} = s) do
    if beh.calls == [], do: {:stop, {:bad_call, msg}, s}, else: handle(beh.calls, msg, from, s)
  end

  @impl true
  def handle_cast(msg, {beh, _, _} = s) do
    if beh.casts == [], do: {:stop, {:bad_cast, msg}, s}, else: handle(beh.casts, msg, nil, s)
  end

  @impl true
  def handle_info(msg, {beh, _, _} = s) do
    if beh.infos == [], do: {:noreply, s}, else: handle(beh.infos, msg, nil, s)
  end

  @impl true
  def terminate(_reason, {beh, arg, st}) do
    ctx = %{vars: %{"$self" => self(), "$arg" => arg}, st: st, from: nil, replied: false}
    _ = Otpsim.Steps.run(beh.terminate, ctx)
    :ok
  end

  defp handle(clauses, msg, from, {beh, arg, st}) do
    vars = %{"$self" => self(), "$arg" => arg, "$msg" => msg}

    case Enum.find_value(clauses, fn {p, steps} -> with {:ok, vs} <- Otpsim.Steps.match(p, msg, vars), do: {steps, vs}, else: (_ -> nil) end) do
      nil ->
        raise FunctionClauseError, module: __MODULE__, function: :handle, arity: 4

      {steps, vars} ->
        ctx = %{vars: vars, st: st, from: from, replied: false}
        s = fn c -> {beh, arg, c.st} end

        case Otpsim.Steps.run(steps, ctx) do
          {:halt, {:stop, r}, c} -> {:stop, r, s.(c)}
          {_, _, c} -> {:noreply, s.(c)}
          {:cont, c} -> {:noreply, s.(c)}
        end
    end
  end
end

defmodule Otpsim.Main do
  @moduledoc false

  def run(sc) do
    Logger.configure(level: :none)
    :logger.set_primary_config(:level, :none)
    Process.flag(:trap_exit, true)
    {:ok, _} = Otpsim.Collector.start()
    Otpsim.Tree.put(sc.tree)
    t0 = System.monotonic_time(:millisecond)
    root = sc.tree.root

    root_pid =
      case Otpsim.Tree.child_spec(root).start do
        {m, f, a} ->
          case apply(m, f, a) do
            {:ok, pid} -> pid
            _ -> nil
          end
      end

    timers = Enum.map(sc.faults, fn f -> Process.send_after(self(), {:fault, f}, max(f.at_ms - elapsed(t0), 0)) end)
    clients = start_clients(sc.clients, t0)
    wait_clients(MapSet.new(clients))
    sleep_firing(System.monotonic_time(:millisecond) + sc.settle_ms)
    Enum.each(timers, &Process.cancel_timer/1)
    # Let restarts the last events set off finish (no output depends on it
    # beyond what the simulator reaches when the run stops).
    Process.sleep(100)
    _ = root_pid
    print(sc, root)
  end

  defp elapsed(t0), do: System.monotonic_time(:millisecond) - t0

  defp start_clients(clients, t0) do
    clients
    |> Enum.sort_by(& &1.start_ms)
    |> Enum.flat_map(fn c ->
      sleep_firing(t0 + c.start_ms)
      names = if c.count == 1, do: [c.name], else: Enum.map(0..(c.count - 1), &"#{c.name}##{&1}")
      Enum.map(names, fn name -> spawn_monitor(fn -> client(name, c) end) |> elem(0) end)
    end)
  end

  # Sleep until the monotonic time `deadline` (ms), firing the faults that fall due.
  defp sleep_firing(deadline) do
    receive do
      {:fault, f} ->
        fire(f)
        sleep_firing(deadline)
    after
      max(deadline - System.monotonic_time(:millisecond), 0) -> :ok
    end
  end

  defp wait_clients(left) do
    if MapSet.size(left) > 0 do
      receive do
        {:fault, f} ->
          fire(f)
          wait_clients(left)

        {:DOWN, _, :process, pid, _} ->
          wait_clients(MapSet.delete(left, pid))
      end
    end
  end

  defp client(name, c) do
    Enum.reduce(1..c.repeat, 0, fn r, n ->
      if r > 1 and c.every_ms > 0, do: Process.sleep(c.every_ms)
      Enum.reduce(c.calls, n, &client_op(name, &1, &2))
    end)
  end

  defp client_op(name, %{op: :call} = op, n) do
    to = Otpsim.Steps.address(op.to)

    try do
      r = GenServer.call(to, op.request, op.timeout)
      Otpsim.Collector.result(name, n + 1, Otpsim.Fmt.term(r))
    catch
      # A via-name whose Registry is down raises ArgumentError (the
      # simulator's call exits badarg): recorded as the exit it ends in.
      kind, reason when kind in [:exit, :error] ->
        reason = if kind == :error, do: Otpsim.Fmt.reason({reason, __STACKTRACE__}), else: Otpsim.Fmt.reason(reason)

        if op.catch do
          Otpsim.Collector.result(name, n + 1, Otpsim.Fmt.term({:exit, reason}))
        else
          Otpsim.Collector.result(name, n + 1, "exited:" <> Otpsim.Fmt.term(reason))
          exit(reason)
        end
    end

    n + 1
  end

  defp client_op(_name, %{op: :cast} = op, n) do
    GenServer.cast(Otpsim.Steps.address(op.to), op.request)
    n
  end

  defp client_op(_name, %{op: :send} = op, n) do
    case GenServer.whereis(Otpsim.Steps.address(op.to)) do
      nil -> exit(:badarg)
      pid -> send(pid, op.request)
    end

    n
  end

  defp client_op(_name, %{op: :sleep} = op, n) do
    Process.sleep(op.timeout)
    n
  end

  # ---- faults ----

  defp fire(f) do
    case target(f.target) do
      nil -> :skipped
      pid -> act(f, pid)
    end
  end

  # any_child:PATH picks the live child of the supervisor at PATH that comes
  # first in pid order (the simulator picks any of them by a logged choice).
  defp target("any_child:" <> path) do
    with sup when is_pid(sup) <- Otpsim.Rt.whereis(path),
         true <- Process.alive?(sup) do
      children =
        try do
          Supervisor.which_children(sup)
        catch
          :exit, _ -> []
        end

      children |> Enum.map(&elem(&1, 1)) |> Enum.filter(&is_pid/1) |> Enum.sort() |> List.first()
    else
      _ -> nil
    end
  end

  defp target(path) do
    case Otpsim.Collector.pid(path) do
      pid when is_pid(pid) -> if Process.alive?(pid), do: pid
      _ -> nil
    end
  end

  defp act(%{action: :kill, reason: r}, pid), do: Process.exit(pid, r)
  defp act(%{action: :stop_normal}, pid), do: spawn(fn -> catch_exit(fn -> :proc_lib.stop(pid, :normal, :infinity) end) end)

  defp act(%{action: :busy, duration_ms: ms}, pid) do
    :erlang.suspend_process(pid)

    spawn(fn ->
      Process.sleep(ms)
      catch_exit(fn -> :erlang.resume_process(pid) end)
    end)
  end

  defp catch_exit(fun) do
    try do
      fun.()
    catch
      _, _ -> :ok
    end
  end

  # ---- the observation ----

  defp print(sc, root) do
    s = Otpsim.Collector.dump()

    calls = Enum.map(s.results, fn {c, n, line} -> "call #{c} #{n} #{line}" end)

    nodes =
      Enum.map(s.starts, fn {path, n} ->
        exits = s.exits |> Map.get(path, []) |> Enum.map(&Otpsim.Fmt.term(Otpsim.Fmt.reason(&1))) |> Enum.sort() |> Enum.join(",")
        "node #{path} starts #{n} exits [#{exits}]"
      end)

    finals =
      Enum.map(sc.tree.static, fn path ->
        pid = Map.get(s.cur, path)
        "final #{path} " <> if(is_pid(pid) and Process.alive?(pid), do: "alive", else: "dead")
      end)

    # The root's fate: its latest process alive, or that process's exit reason.
    fate =
      case {Map.get(s.cur, root), Map.get(s.exits, root, [])} do
        {pid, _} when is_pid(pid) -> if Process.alive?(pid), do: "root alive", else: root_exit(s, root)
        _ -> "root exit none"
      end

    Enum.sort(calls ++ nodes ++ finals ++ [fate]) |> Enum.each(&IO.puts/1)
  end

  defp root_exit(s, root) do
    case Map.get(s.exits, root, []) do
      [latest | _] -> "root exit " <> Otpsim.Fmt.term(Otpsim.Fmt.reason(latest))
      [] -> "root exit none"
    end
  end
end
