"""Customer lifetime value models: customer summaries, the purchase processes (NBD, BG/NBD,
MBG/NBD, Pareto/NBD) with their fitting and acceptance rules, Gamma-Gamma spend, and parameter
uncertainty."""
