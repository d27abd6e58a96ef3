# Shared helpers for the reordering probes (README.md, "Reorderings Erlang
# allows"): each probe runs a pattern many times under several ways of
# provoking the order Erlang allows but one node seldom shows, and prints one
# line per way:
#
#   <scenario> <method>: causal N, reordered M[, other K: <first other>]
#
# Nothing is asserted: the counts are the record. The scripts start no
# distribution; `schedulers` is printed first (run.sh runs every probe with
# the default and with +S 16).
defmodule Probe do
  @moduledoc false

  def header(scenario) do
    IO.puts("#{scenario} schedulers #{:erlang.system_info(:schedulers_online)} otp #{:erlang.system_info(:otp_release)}")
  end

  @doc "Runs `fun` `trials` times; it returns :causal, :reordered or anything else."
  def run(scenario, method, trials, fun) do
    results = for _ <- 1..trials, do: fun.()
    causal = Enum.count(results, &(&1 == :causal))
    reordered = Enum.count(results, &(&1 == :reordered))
    others = Enum.reject(results, &(&1 in [:causal, :reordered]))

    other =
      case others do
        [] -> ""
        [first | _] -> ", other #{length(others)}: #{inspect(first)}"
      end

    IO.puts("#{scenario} #{method}: causal #{causal}, reordered #{reordered}#{other}")
  end

  @doc "Spawns `n` idle processes (pids in a row), for `link_all/1` and friends."
  def idle(n), do: for(_ <- 1..n, do: spawn(&idle_loop/0))

  defp idle_loop do
    receive do
      :stop -> :ok
    end
  end

  def stop_all(pids), do: Enum.each(pids, &Process.exit(&1, :kill))

  @doc "A busy loop of `n` iterations (keeps a scheduler busy)."
  def spin(0), do: :ok
  def spin(n), do: spin(n - 1)

  def flush do
    receive do
      _ -> flush()
    after
      0 -> :ok
    end
  end
end

Logger.configure(level: :none)
:logger.set_primary_config(:level, :none)
