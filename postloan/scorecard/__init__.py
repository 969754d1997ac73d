"""Officer scorecards (贷后管理考核评价): duties attributed to officers, scored by the
indicator library of parameters/scorecards.yaml."""
