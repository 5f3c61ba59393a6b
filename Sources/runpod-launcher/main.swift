import LauncherCLI
await RunPodLauncherCommand.main()
