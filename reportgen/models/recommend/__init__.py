"""Product recommendation models: the customer x product purchase matrix, EASE, item-item and
popularity weights, and product pairs."""
