import LauncherCLI

await RunPodLauncherCommand.runAndExit()
