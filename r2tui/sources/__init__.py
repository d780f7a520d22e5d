"""Sources observe R2 (and the demo account); they never touch the store."""
