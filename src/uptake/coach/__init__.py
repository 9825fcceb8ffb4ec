"""Coach: in-context guidance at the moment of use, and the holdout that proves it works.

Engine layer: reads signals and metrics, never a surface or the Workspace. The modules:
the use-case library (`library`), peers' measured use cases (`peers`), holdout assignment
(`arms`), the rules that pick a card (`rules`), caps and consent (`caps`), the effect
estimate (`effect`) and the manager digest (`digest`).
"""
