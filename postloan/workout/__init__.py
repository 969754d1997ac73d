"""The NPL workout book (不良资产清收处置): cases, legal routes, recoverable value, route
comparison, write-off candidates, transfer packages and foreclosed assets
(../shared/spec/NPL_WORKOUT.md). Rules of law and recovery come from postloan.rules."""
