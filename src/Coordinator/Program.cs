using GridSweep.Coordinator.Commands;
using GridSweep.Runtime.CommandLine;

// The head node's program (the coordinator image's `gridsweep`): coordinator, status, report; no trainer slots.
return await CommandLineApp.RunAsync(GridSweepCommands.Create(localTrainers: null, trainerCommands: []), args);
