"""Full screens, one a file: the org screen, the welcome, a server's page, the editors, the
start-up error. Dialogs (modal screens) are in `dialogs/`."""
