//! Placement of jobs on GPU pools: planned (feasibility, predicted end, tie-breakers).
