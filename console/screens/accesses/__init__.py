"""Access screens: the order editor (`editor.AccessEditorScreen`, opened by
`editor.open_access_editor`) and the Products tab's dialogs (`dialogs`)."""
