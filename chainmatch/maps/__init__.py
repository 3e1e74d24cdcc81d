"""Chain investment maps (产业链招商图谱).

- :mod:`~chainmatch.maps.build`: each chain's segments, local firms, gaps and outside firms to recruit;
- :mod:`~chainmatch.maps.render`: their HTML/SVG, JSON and XLSX files;
- :mod:`~chainmatch.maps.runs`: batch runs that keep the last good maps of every zone.
"""
