"""What every app shares and none owns, at the bottom of the layers: bounds on the numbers people
and other systems send (``bounds``). It imports no app of ours."""
