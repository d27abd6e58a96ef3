# intensity_shared: one restart history per supervisor, shared by all children.
# one_for_one 2/5 with c1, c2, c3; kill c1, then c2, then c3 -> the third restart
# exceeds the intensity although each child failed only once.
Code.require_file("common.exs", __DIR__)
alias Conf.Worker, as: W
Conf.init()

res =
  Conf.Sup.start_link(
    strategy: :one_for_one, max_restarts: 2, max_seconds: 5,
    children: [W.spec(:c1), W.spec(:c2), W.spec(:c3)]
  )

Conf.await(3)
Conf.log("start_link", res)
{:ok, sup} = res
Conf.track(:top, sup)

Conf.kill(:c1, :kill)
Conf.await(2)
Conf.kill(:c2, :kill)
Conf.await(2)
Conf.kill(:c3, :kill)
# exit c3 killed; then the supervisor stops c2, c1 (reverse start order)
Conf.await(3)
Conf.finish()
