"""What the console home and the staff desk home show: figures read across commerce and support."""
