"""The org screen's five sections, one package each (the pane and its view model beside it), on
one base (`base.OrgSection`); the org screen builds them and reloads when they change data."""
