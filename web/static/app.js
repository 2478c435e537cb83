// bcflow dashboard
