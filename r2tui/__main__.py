from r2tui.cli import main

raise SystemExit(main())
