"""The report: the one context templates read (context), the chart theme (charts), formatting
filters (formatting), the Jinja environment (templates), and rendering to HTML, PDF and the
summary email (render). Nothing here computes a number; it shows what chapters computed."""
