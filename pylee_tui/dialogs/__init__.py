"""Dialogs: every ModalScreen (questions, pickers, forms, the vault's passphrase prompts, the
export preview); each dismisses with its answer. Full screens live in `screens/`."""
