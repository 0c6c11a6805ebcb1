"""The pages reps, managers and executives use every day (not the admin)."""
